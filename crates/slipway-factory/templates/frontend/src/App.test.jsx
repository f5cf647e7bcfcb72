import { afterEach, expect, test, vi } from 'vitest';
import { cleanup, render, screen } from '@testing-library/react';
import App from './App.jsx';
import { APP_TITLE } from './config.js';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

test('shows the title and the items the API answers', async () => {
  const items = [{ id: 1, name: 'Widget', price: 9.5 }];
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify(items), { status: 200 })));
  render(<App />);
  expect(screen.getByRole('heading', { level: 1 }).textContent).toBe(APP_TITLE);
  expect(await screen.findByText('Widget')).toBeTruthy();
  expect(screen.getByText('9.50')).toBeTruthy();
});

test('says when the API fails', async () => {
  vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ detail: 'down' }), { status: 503 })));
  render(<App />);
  expect((await screen.findByRole('alert')).textContent).toContain('503');
});
