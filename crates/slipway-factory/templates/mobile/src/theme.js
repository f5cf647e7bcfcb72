export const colors = {
  primary: {{ primary_color|tojson }},
  background: '#f9fafb',
  card: '#ffffff',
  text: '#1f2937',
  muted: '#6b7280',
  error: '#b91c1c',
};

export const spacing = {
  small: 8,
  medium: 16,
  large: 24,
};
