/** Tests never use fixed ports: they ask the OS for a free one. */
export { freePort } from '../../lib/net/free-port.js';
