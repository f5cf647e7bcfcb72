// A socket.io-client v4 (npm) client for the tests: follows one ResoftAI project and prints every message as a
// JSON line {"event": name, "data": payload} as it arrives.
// Usage: node socketio_project.cjs URL TOKEN PROJECT_ID   (socket.io-client found through NODE_PATH)
// Runs until its standard input closes (or 120 s pass); exits 2 when the connection is refused.
const { io } = require("socket.io-client");

const [url, token, projectId] = process.argv.slice(2);
const socket = io(url, { auth: { token }, transports: ["websocket"], reconnection: false });
const say = (event, data) => process.stdout.write(JSON.stringify({ event, data }) + "\n");

socket.on("connect", () => socket.emit("subscribe_project", { project_id: Number(projectId) }));
socket.on("connect_error", (err) => {
  say("connect_error", String(err && err.message));
  process.exit(2);
});
for (const name of ["project_update", "agent_activity", "workflow_started", "stage_completed", "stage_failed",
  "workflow_completed", "workflow_failed", "error"]) {
  socket.on(name, (data) => say(name, data));
}
const end = () => {
  socket.disconnect();
  process.exit(0);
};
process.stdin.on("end", end);
process.stdin.resume();
setTimeout(end, 120000);
