// The blueprint's readiness probe path (services[web].probes.readiness: /api/health/ready).
export function GET() {
  return Response.json({ ok: true }, { headers: { "cache-control": "no-store" } });
}
