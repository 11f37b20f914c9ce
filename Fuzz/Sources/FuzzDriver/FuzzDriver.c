// SwiftPM links an executable with `main` defined as `<module>_main` (so that tests can link
// the module); libFuzzer brings its own `main`. This shim is that `<module>_main`: it hands the
// command line to libFuzzer's driver with the Swift entry point, and libFuzzer's `main` is then
// never linked in.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

int mappingkit_fuzz_main(int argc, char **argv) {
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
