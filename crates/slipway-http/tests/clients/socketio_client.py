"""A python-socketio client for the tests: subscribes to one job and prints every event as a JSON line.

Usage: socketio_client.py URL TOKEN JOB_ID [TRANSPORTS]
python-socketio runs each event handler on a background thread, so events are collected and printed in
sequence order once the log is complete (every sequence number up to the final status).
Exits 0 when done, 1 on a subscription error or timeout, 2 when the connection is refused (connect_error).
"""
import json
import sys
import threading

import engineio.payload
import socketio

# python-engineio refuses long-polling payloads of more than 16 packets (a guard against resource exhaustion);
# raising the limit is its maintainer's documented workaround. The websocket transport is unaffected.
engineio.payload.Payload.max_decode_packets = 1000

FINAL = {"succeeded", "failed", "cancelled", "timed_out"}
url, token, job_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
transports = sys.argv[4].split(",") if len(sys.argv) > 4 else ["websocket"]
sio = socketio.Client(reconnection=False)
lock = threading.Lock()
events = {}
final_seq = [None]
status = [1]


def say(obj):
    print(json.dumps(obj), flush=True)


@sio.event
def connect():
    sio.emit("subscribe_job", {"job_id": job_id, "after": 0})


@sio.on("job_event")
def on_job_event(event):
    with lock:
        events[event["seq"]] = event
        if event["type"] == "status" and event["payload"].get("status") in FINAL:
            final_seq[0] = event["seq"]
        complete = final_seq[0] is not None and len(events) == final_seq[0]
    if complete:
        for seq in sorted(events):
            say(events[seq])
        status[0] = 0
        sio.disconnect()


@sio.event
def disconnect(reason=None):
    if status[0] != 0:
        print(f"{transports}: disconnected ({reason}) after {len(events)} events, final {final_seq[0]}", file=sys.stderr, flush=True)


@sio.on("error")
def on_error(data):
    say({"error": data})
    sio.disconnect()


def give_up():
    say({"error": "timed out", "received": len(events)})
    sio.disconnect()


timer = threading.Timer(60, give_up)
timer.daemon = True
timer.start()
try:
    sio.connect(url, auth={"token": token}, transports=transports, wait_timeout=10)
except socketio.exceptions.ConnectionError as e:
    say({"connect_error": str(e)})
    sys.exit(2)
sio.wait()
sys.exit(status[0])
