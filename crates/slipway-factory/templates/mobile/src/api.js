import { API_BASE_URL } from './config';

// The back end's /items API.
export async function listItems(fetchImpl = fetch) {
  const response = await fetchImpl(`${API_BASE_URL}/items`, {
    headers: { Accept: 'application/json' },
  });
  if (!response.ok) {
    throw new Error(`The server answered ${response.status}`);
  }
  return response.json();
}
