// The custom server (server/index.ts) owns /api, /metrics and /ws; Next renders the page only.
/** @type {import('next').NextConfig} */
const nextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  serverExternalPackages: ["@electric-sql/pglite", "pg", "redis", "ws", "pino"],
};
export default nextConfig;
