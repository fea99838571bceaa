export { startGateway, type Gateway, type GatewayOptions } from './gateway.js';
export { route, hostName, type Route } from './hosts.js';
