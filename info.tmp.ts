import { engineInfo } from './src/engine';
console.log(JSON.stringify(engineInfo(), null, 1));
