// What the dashboard's page (templates/agent/dashboard.html) gives the code:
// its settings from the server, and the CSRF token for the API's POSTs.

/** {identity, loginUrl, callsUrl, callbacksUrl, supervisorUrl, forwardTargets} */
export const config = JSON.parse(document.getElementById("dashboard-config").textContent);
export const csrfToken = document.querySelector('meta[name="csrf-token"]').content;

/** GET a JSON resource of the dashboard's API with this agent's session. */
export async function getJSON(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}
