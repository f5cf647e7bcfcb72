"""A python-socketio client for the tests: follows one ResoftAI project and prints every message as a JSON line
{"event": name, "data": payload} as it arrives.

Usage: socketio_project.py URL TOKEN PROJECT_ID [TRANSPORTS]
Runs until its standard input closes (or 120 s pass). Exits 0 then, 2 when the connection is refused.
"""
import json
import sys
import threading

import socketio

url, token, project_id = sys.argv[1], sys.argv[2], int(sys.argv[3])
transports = sys.argv[4].split(",") if len(sys.argv) > 4 else ["websocket"]
sio = socketio.Client(reconnection=False)
lock = threading.Lock()


def say(event, data):
    with lock:
        print(json.dumps({"event": event, "data": data}), flush=True)


@sio.event
def connect():
    sio.emit("subscribe_project", {"project_id": project_id})


for name in ["project_update", "agent_activity", "workflow_started", "stage_completed", "stage_failed",
             "workflow_completed", "workflow_failed", "error"]:
    sio.on(name, (lambda n: lambda data: say(n, data))(name))

try:
    sio.connect(url, auth={"token": token}, transports=transports, wait_timeout=10)
except socketio.exceptions.ConnectionError as e:
    say("connect_error", str(e))
    sys.exit(2)
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
done.wait(120)
sio.disconnect()
