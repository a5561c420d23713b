import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { followPastedTokens } from './api';
import './styles.css';

followPastedTokens();
createApp(App).use(createPinia()).mount('#app');
