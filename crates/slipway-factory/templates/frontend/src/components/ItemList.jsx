export default function ItemList({ items, onDelete }) {
  if (items.length === 0) {
    return <p className="empty">No items yet.</p>;
  }
  return (
    <ul className="item-list">
      {items.map((item) => (
        <li key={item.id}>
          <span className="name">{item.name}</span>
          <span className="price">{item.price.toFixed(2)}</span>
          <button type="button" onClick={() => onDelete(item.id)} aria-label={`Delete ${item.name}`}>
            ×
          </button>
        </li>
      ))}
    </ul>
  );
}
