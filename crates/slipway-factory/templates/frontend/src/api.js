// The back end's /items API, reached through the dev server's /api proxy (see vite.config.js).
const BASE = import.meta.env.VITE_API_BASE ?? '/api';

async function request(path, options = {}) {
  const response = await fetch(`${BASE}${path}`, {
    headers: { 'Content-Type': 'application/json', ...options.headers },
    ...options,
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      const body = await response.json();
      detail = typeof body.detail === 'string' ? body.detail : JSON.stringify(body.detail);
    } catch {
      // The body was not JSON: keep the status text.
    }
    throw new Error(`${response.status}: ${detail}`);
  }
  return response.status === 204 ? null : response.json();
}

export function listItems() {
  return request('/items');
}

export function createItem(item) {
  return request('/items', { method: 'POST', body: JSON.stringify(item) });
}

export function deleteItem(id) {
  return request(`/items/${id}`, { method: 'DELETE' });
}
