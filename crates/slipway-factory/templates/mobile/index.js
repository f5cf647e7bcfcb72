import { registerRootComponent } from 'expo';
import App from './App';

// Registers the app as the root component, for Expo Go and native builds alike.
registerRootComponent(App);
