import { StyleSheet, Text, View } from 'react-native';
import { colors, spacing } from '../theme';

export default function ItemCard({ item }) {
  return (
    <View style={styles.card}>
      <Text style={styles.name}>{item.name}</Text>
      {item.description ? <Text style={styles.description}>{item.description}</Text> : null}
      <Text style={styles.price}>{Number(item.price).toFixed(2)}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  card: {
    backgroundColor: colors.card,
    borderRadius: 8,
    padding: spacing.medium,
    marginBottom: spacing.small,
  },
  name: {
    fontSize: 16,
    fontWeight: '600',
    color: colors.text,
  },
  description: {
    color: colors.muted,
    marginTop: 4,
  },
  price: {
    color: colors.primary,
    marginTop: 4,
  },
});
