"use client";
// Shown when there is no session: choose a display name (POST /api/session).

import { useState, type FormEvent } from "react";
import { NAME_MAX_CHARS } from "@/lib/limits";
import { signIn } from "@/lib/client/controller";
import { Logo } from "./Icons";

export function NameForm() {
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    setBusy(true);
    setError(null);
    const err = await signIn(name);
    // On success this component unmounts; only a failure needs local state.
    if (err !== null) {
      setError(err);
      setBusy(false);
    }
  }

  return (
    <main className="welcome">
      <div className="welcome-mosaic" aria-hidden="true" />
      <form className="welcome-card" data-testid="name-form" onSubmit={submit} noValidate>
        <div className="welcome-brand">
          <Logo size={40} />
          <h1>Tessera</h1>
        </div>
        <p className="welcome-lead">
          One shared canvas. Everyone places one pixel at a time — together you make the picture.
        </p>
        <label className="field-label" htmlFor="name-input">
          Your name
        </label>
        <input
          id="name-input"
          data-testid="name-input"
          className="text-input"
          name="name"
          autoComplete="nickname"
          autoFocus
          maxLength={200}
          placeholder="e.g. pixel_pusher"
          value={name}
          onChange={(e) => setName(e.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? "name-error" : "name-hint"}
        />
        {error ? (
          <p id="name-error" className="field-error" role="alert" data-testid="name-error">
            {error}
          </p>
        ) : (
          <p id="name-hint" className="field-hint">
            1–{NAME_MAX_CHARS} letters, digits, spaces, _ or -. Others see it next to your pixels.
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" data-testid="name-submit" disabled={busy}>
          {busy ? "Joining…" : "Start placing"}
        </button>
      </form>
    </main>
  );
}
