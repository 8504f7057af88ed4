"use client";
// Runs only after hydration: proves the client bundle and the inline RSC payload executed.
import { useEffect, useState } from "react";

export default function Booted() {
  const [state, setState] = useState("hydrating");
  useEffect(() => {
    window.__APP_RESULT__ = { booted: true, deploy: process.env.NEXT_PUBLIC_APP_DEPLOY, error: null };
    setState("booted");
  }, []);
  return <p id="state">{state}</p>;
}
