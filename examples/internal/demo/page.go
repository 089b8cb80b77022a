package demo

// Page is GET /: the cookie-mode flow in a browser. The tokens live in
// HttpOnly cookies the page's JavaScript cannot read; it reads only the CSRF
// token (csrf_token cookie) and sends it back in X-CSRF-Token on unsafe
// requests. Its elements have ids for the browser test.
const Page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>jwtgate example</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; }
input, button { font: inherit; margin: .2rem; }
pre { background: #f4f4f4; padding: .8rem; white-space: pre-wrap; word-break: break-all; }
</style>
</head>
<body>
<h1>jwtgate example</h1>
<p>Tokens are kept in HttpOnly cookies: this page's JavaScript never sees them.</p>
<form id="login">
  <input id="username" name="username" value="alice" autocomplete="username">
  <input id="password" name="password" type="password" value="alice-password" autocomplete="current-password">
  <button id="login-button" type="submit">Log in</button>
</form>
<p>
  <button id="me">GET /api/me</button>
  <button id="refresh">Refresh</button>
  <button id="logout">Log out</button>
</p>
<h2>Last response</h2>
<pre id="out">(none yet)</pre>
<h2>document.cookie</h2>
<pre id="cookies"></pre>
<script>
function csrf() {
  const m = document.cookie.match(/(?:^|; )csrf_token=([^;]*)/);
  return m ? m[1] : "";
}
async function call(method, path, body) {
  const headers = {};
  if (method !== "GET") headers["X-CSRF-Token"] = csrf();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const resp = await fetch(path, {method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body)});
  const text = await resp.text();
  document.getElementById("out").textContent = resp.status + " " + method + " " + path + "\n" + text;
  document.getElementById("cookies").textContent = document.cookie;
  document.body.dataset.last = String(resp.status);
  document.body.dataset.calls = String(Number(document.body.dataset.calls || 0) + 1);
}
document.getElementById("login").addEventListener("submit", (e) => {
  e.preventDefault();
  call("POST", "/login?mode=cookie", {
    username: document.getElementById("username").value,
    password: document.getElementById("password").value});
});
document.getElementById("me").addEventListener("click", () => call("GET", "/api/me"));
document.getElementById("refresh").addEventListener("click", () => call("POST", "/refresh"));
document.getElementById("logout").addEventListener("click", () => call("POST", "/logout"));
document.getElementById("cookies").textContent = document.cookie;
</script>
</body>
</html>
`
