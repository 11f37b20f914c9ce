import GRDB
import GRDBSQLite

/// Bind-and-step on a cached GRDB statement, for the outbox's hot paths (a thousand rows per
/// transaction), skipping GRDB's argument boxing and row decoding.
///
/// Use it inside a GRDB access closure; it resets the statement when created and after ``rows(_:)``
/// or ``run()``, so no statement stays busy holding a lock.
struct RawStatement {
    private let statement: Statement
    private var handle: SQLiteStatement { statement.sqliteStatement }

    init(_ db: Database, sql: String) throws {
        statement = try db.cachedStatement(sql: sql)
        sqlite3_reset(statement.sqliteStatement)
        sqlite3_clear_bindings(statement.sqliteStatement)
    }

    func bind(_ index: Int32, _ text: String) {
        sqlite3_bind_text(handle, index, text, -1, sqliteTransient)
    }

    /// Binds UTF-8 text given as bytes (copied), without making a `String` of it.
    func bind(_ index: Int32, text: UnsafeRawBufferPointer) {
        guard let base = text.baseAddress, !text.isEmpty else {
            sqlite3_bind_text(handle, index, "", 0, sqliteTransient)
            return
        }
        sqlite3_bind_text(handle, index, base.assumingMemoryBound(to: CChar.self), Int32(text.count), sqliteTransient)
    }

    func bindNull(_ index: Int32) {
        sqlite3_bind_null(handle, index)
    }

    func bind(_ index: Int32, _ value: Int64) {
        sqlite3_bind_int64(handle, index, value)
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite3_bind_double(handle, index, value)
    }

    func bind(_ index: Int32, blob: [UInt8]) {
        blob.withUnsafeBytes { bytes in
            _ = sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), sqliteTransient)
        }
    }

    /// Executes a statement that returns no rows with two blobs bound where they lie, for the
    /// run only (SQLite copies them into the row anyway: a bound copy would be a second one).
    func run(blob first: Int32, _ firstBytes: [UInt8], blob second: Int32, _ secondBytes: [UInt8]) throws {
        try firstBytes.withUnsafeBytes { firstBytes in
            try secondBytes.withUnsafeBytes { secondBytes in
                bindInPlace(first, firstBytes)
                bindInPlace(second, secondBytes)
                defer {
                    sqlite3_reset(handle)
                    sqlite3_bind_null(handle, first)
                    sqlite3_bind_null(handle, second)
                }
                _ = try step()
            }
        }
    }

    private func bindInPlace(_ index: Int32, _ bytes: UnsafeRawBufferPointer) {
        if let base = bytes.baseAddress, !bytes.isEmpty {
            sqlite3_bind_blob(handle, index, base, Int32(bytes.count), nil)
        } else {
            sqlite3_bind_zeroblob(handle, index, 0)
        }
    }

    /// Executes a statement that returns no rows, then resets it for the next bindings.
    func run() throws {
        defer { sqlite3_reset(handle) }
        _ = try step()
    }

    /// Steps through the rows; `body` returns false to stop early. Resets the statement afterwards.
    func rows(_ body: (Row) throws -> Bool) throws {
        defer { sqlite3_reset(handle) }
        while try step(), try body(Row(handle: handle)) {}
    }

    /// The current row's columns, valid only inside ``rows(_:)``.
    struct Row {
        let handle: SQLiteStatement

        func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

        func text(_ column: Int32) -> String {
            guard let text = sqlite3_column_text(handle, column) else { return "" }
            return String(cString: text)
        }

        func double(_ column: Int32) -> Double { sqlite3_column_double(handle, column) }

        /// The blob in place: valid only until the row changes.
        func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer {
            let base = sqlite3_column_blob(handle, column)
            let count = Int(sqlite3_column_bytes(handle, column))
            guard let base, count > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
            return UnsafeRawBufferPointer(start: base, count: count)
        }
    }

    private func step() throws -> Bool {
        switch sqlite3_step(handle) {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        case let code:
            let message = String(cString: sqlite3_errmsg(sqlite3_db_handle(handle)))
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message, sql: statement.sql)
        }
    }
}

/// SQLite copies the bound bytes before the call returns. (A nil destructor, SQLITE_STATIC,
/// means they stay valid and unchanged until unbound or the statement is reset.)
private let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
