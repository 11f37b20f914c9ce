"""Sends Segment calls read from an NDJSON file through segment-analytics-python, Segment's
own Python SDK, to a tiktok-offline serve: the SDK batches, gzips and posts them to
HOST/v1/batch exactly as it would to Segment. Prints one JSON line: {"sent": N, "errors": [...]}.

usage: analytics_python_send.py HOST WRITE_KEY EVENTS.ndjson
"""
import json
import sys
from datetime import datetime

import segment.analytics as analytics

host, write_key, path = sys.argv[1:4]
errors = []
analytics.write_key = write_key
analytics.host = host
analytics.gzip = True
analytics.upload_size = 50
analytics.on_error = lambda error, batch: errors.append(str(error))

def when(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None

sent = 0
with open(path, encoding="utf-8") as events:
    for line in events:
        event = json.loads(line)
        common = dict(
            context=event.get("context"), timestamp=when(event.get("timestamp")),
            anonymous_id=event.get("anonymousId"), integrations=event.get("integrations"),
            message_id=event.get("messageId"),
        )
        kind = event["type"]
        if kind == "track":
            analytics.track(event.get("userId"), event["event"], event.get("properties"), **common)
        elif kind == "page":
            analytics.page(event.get("userId"), None, event.get("name"), event.get("properties"), **common)
        elif kind == "identify":
            analytics.identify(event.get("userId"), event.get("traits"), **common)
        else:
            raise SystemExit(f"unsupported call type {kind}")
        sent += 1

analytics.flush()
analytics.shutdown()
print(json.dumps({"sent": sent, "errors": errors}))
