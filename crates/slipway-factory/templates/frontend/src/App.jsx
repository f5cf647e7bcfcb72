import { useCallback, useEffect, useState } from 'react';
import { createItem, deleteItem, listItems } from './api.js';
import { APP_DESCRIPTION, APP_TITLE } from './config.js';
import ItemForm from './components/ItemForm.jsx';
import ItemList from './components/ItemList.jsx';
import './App.css';

export default function App() {
  const [items, setItems] = useState([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState(null);

  const refresh = useCallback(async () => {
    setLoading(true);
    try {
      setItems(await listItems());
      setError(null);
    } catch (e) {
      setError(e.message);
    } finally {
      setLoading(false);
    }
  }, []);

  useEffect(() => {
    refresh();
  }, [refresh]);

  const add = async (item) => {
    await createItem(item);
    await refresh();
  };

  const remove = async (id) => {
    await deleteItem(id);
    await refresh();
  };

  return (
    <main className="app">
      <header>
        <h1>{APP_TITLE}</h1>
        <p className="subtitle">{APP_DESCRIPTION}</p>
      </header>
      <ItemForm onSubmit={add} />
      {error && <p role="alert" className="error">{error}</p>}
      {loading ? <p>Loading…</p> : <ItemList items={items} onDelete={remove} />}
    </main>
  );
}
