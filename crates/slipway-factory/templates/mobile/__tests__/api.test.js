import { listItems } from '../src/api';
import { API_BASE_URL } from '../src/config';

test('lists the items of the back end', async () => {
  const items = [{ id: 1, name: 'Widget', price: 9.5 }];
  const fetchImpl = jest.fn(async () => ({ ok: true, status: 200, json: async () => items }));
  await expect(listItems(fetchImpl)).resolves.toEqual(items);
  expect(fetchImpl).toHaveBeenCalledWith(`${API_BASE_URL}/items`, expect.anything());
});

test('fails when the back end does', async () => {
  const fetchImpl = jest.fn(async () => ({ ok: false, status: 503 }));
  await expect(listItems(fetchImpl)).rejects.toThrow('503');
});
