// Next.js's documented strict CSP (App Router): a fresh nonce per request, put on the request's
// Content-Security-Policy header (Next reads it and sets the nonce on every script it renders,
// including the inline `self.__next_f.push(...)` payload) and on the response. The edge keeps
// its own CSP and takes only this script-src from the app (components/edge/headers.ts).
import { NextResponse } from "next/server";

export function proxy(request) {
  const nonce = Buffer.from(crypto.randomUUID()).toString("base64");
  const csp = `default-src 'self'; script-src 'self' 'nonce-${nonce}' 'strict-dynamic'; object-src 'none'; base-uri 'self'`;
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  matcher: [{ source: "/((?!api|_next/static|_next/image|favicon.ico).*)" }],
};
