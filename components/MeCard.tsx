"use client";
// "You": your name and the way to change it. The server has no rename, so changing the name signs
// in again under the new one (a new user); the form says so before anyone relies on it.

import { useEffect, useRef, useState, type FormEvent } from "react";
import { NAME_MAX_CHARS } from "@/lib/limits";
import { rename } from "@/lib/client/controller";
import { nameProblem } from "@/lib/client/name-check";
import { useTessera } from "@/lib/client/store";
import { EditIcon } from "./Icons";

export function MeCard() {
  const me = useTessera((s) => s.user);
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement | null>(null);

  useEffect(() => {
    if (editing) input.current?.focus();
  }, [editing]);

  if (!me) return null;

  function open() {
    setName(me?.name ?? "");
    setError(null);
    setEditing(true);
  }

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    if (name.trim() === me?.name) {
      setEditing(false);
      return;
    }
    const problem = nameProblem(name);
    if (problem) {
      setError(problem);
      return;
    }
    setBusy(true);
    setError(null);
    const err = await rename(name);
    setBusy(false);
    if (err === null) setEditing(false);
    else setError(err);
  }

  return (
    <section className="me-card" aria-label="You" data-testid="me">
      {!editing ? (
        <div className="me-row">
          <span className="me-label">You</span>
          <strong className="me-name" data-testid="my-name">
            {me.name}
          </strong>
          <button
            type="button"
            className="icon-btn icon-btn-small me-edit"
            data-testid="change-name"
            aria-label="Change name"
            title="Change name"
            onClick={open}
          >
            <EditIcon />
          </button>
        </div>
      ) : (
        <form className="rename-form" onSubmit={(e) => void submit(e)} noValidate data-testid="rename-form">
          <label className="field-label" htmlFor="rename-input">
            New name
          </label>
          <input
            ref={input}
            id="rename-input"
            data-testid="rename-input"
            className="text-input text-input-small"
            autoComplete="nickname"
            maxLength={NAME_MAX_CHARS * 2}
            value={name}
            onChange={(e) => {
              setName(e.target.value);
              // Checked as it is typed, with the server's rules; the server still has the last word.
              setError(e.target.value.trim() === "" ? null : nameProblem(e.target.value));
            }}
            onKeyDown={(e) => {
              if (e.key === "Escape") setEditing(false);
            }}
            aria-invalid={error !== null}
            aria-describedby={error ? "rename-error rename-hint" : "rename-hint"}
          />
          {error && (
            <p id="rename-error" className="field-error" role="alert">
              {error}
            </p>
          )}
          <p id="rename-hint" className="field-hint">
            Names can&apos;t be edited: saving signs you in again as a new user called this. Pixels you
            placed before keep your old name. 1–{NAME_MAX_CHARS} letters, digits, spaces, _ or -.
          </p>
          <div className="rename-actions">
            <button type="button" className="btn btn-small" onClick={() => setEditing(false)} disabled={busy}>
              Cancel
            </button>
            <button type="submit" className="btn btn-small btn-primary" data-testid="rename-submit" disabled={busy}>
              {busy ? "Saving…" : "Save"}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
