import { useState } from 'react';

export default function ItemForm({ onSubmit }) {
  const [name, setName] = useState('');
  const [price, setPrice] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    if (!name.trim()) {
      setError('A name is required');
      return;
    }
    setBusy(true);
    try {
      await onSubmit({ name: name.trim(), price: Number(price) || 0 });
      setName('');
      setPrice('');
      setError(null);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="item-form" onSubmit={submit}>
      <input aria-label="Name" placeholder="Name" value={name} onChange={(e) => setName(e.target.value)} />
      <input
        aria-label="Price"
        placeholder="Price"
        type="number"
        min="0"
        step="0.01"
        value={price}
        onChange={(e) => setPrice(e.target.value)}
      />
      <button type="submit" disabled={busy}>
        Add
      </button>
      {error && <span className="error">{error}</span>}
    </form>
  );
}
