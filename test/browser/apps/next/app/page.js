// Server-rendered on every request (the nonce is per request), as the music platform's pages are.
import { headers } from "next/headers";
import Booted from "./booted";

export default async function Page() {
  const nonce = (await headers()).get("x-nonce") ? "yes" : "no";
  return (
    <main>
      <h1>next fixture (deploy {process.env.NEXT_PUBLIC_APP_DEPLOY})</h1>
      <p id="nonce">nonce from the proxy: {nonce}</p>
      <Booted />
    </main>
  );
}
