"use client";
// The name card, over the live board (SPEC §7 `name-form`): shown on load without a session and
// again when a watcher tries to place. The name is checked as it is typed, with the server's rules
// (lib/client/name-check.ts); "Just watch" closes it and leaves the board read-only.

import { useState, type FormEvent } from "react";
import { NAME_MAX_CHARS } from "@/lib/limits";
import { justWatch, signIn } from "@/lib/client/controller";
import { nameProblem } from "@/lib/client/name-check";
import { useTessera } from "@/lib/client/store";
import { Logo } from "./Icons";

export function NameForm() {
  const reason = useTessera((s) => s.joinReason);
  const [name, setName] = useState("");
  const [touched, setTouched] = useState(false);
  const [serverError, setServerError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const problem = nameProblem(name);
  // An empty field is not an error until the user tries to submit it.
  const shownProblem = serverError ?? (touched && (name.length > 0 || problem !== null) ? problem : null);
  const chars = [...name.normalize("NFC").trim()].length;

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    setTouched(true);
    if (problem) return;
    setBusy(true);
    setServerError(null);
    const err = await signIn(name);
    // On success this component unmounts; only a failure needs local state.
    if (err !== null) {
      setServerError(err);
      setBusy(false);
    }
  }

  return (
    <div className="join-layer">
      <div className="join-dialog" role="dialog" aria-labelledby="join-title" aria-describedby="join-lead">
        <form className="welcome-card join-card" data-testid="name-form" onSubmit={(e) => void submit(e)} noValidate>
          <div className="welcome-brand">
            <Logo size={34} />
            <h2 id="join-title">Tessera</h2>
          </div>
          <p className="welcome-lead" id="join-lead">
            {reason ?? "One shared canvas, live. Look around, or choose a name to place pixels with everyone else."}
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
            maxLength={NAME_MAX_CHARS * 2}
            placeholder="e.g. pixel_pusher"
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              setTouched(true);
              setServerError(null);
            }}
            aria-invalid={shownProblem !== null}
            aria-describedby="name-message"
          />
          <p
            id="name-message"
            className={shownProblem ? "field-error" : "field-hint"}
            data-testid={shownProblem ? "name-error" : "name-hint"}
            aria-live="polite"
          >
            {shownProblem ?? (
              <>
                {chars}/{NAME_MAX_CHARS} · letters, digits, spaces, _ or -. Others see it next to your pixels.
              </>
            )}
          </p>
          <div className="join-actions">
            <button type="button" className="btn" data-testid="just-watch" onClick={justWatch}>
              Just watch
            </button>
            <button type="submit" className="btn btn-primary" data-testid="name-submit" disabled={busy || (touched && problem !== null)}>
              {busy ? "Joining…" : "Start placing"}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
