"use client";
// /boards (SPEC §9): the public boards, busiest first, each with its title, live count and a
// thumbnail (the board's PNG, scaled by CSS with pixelated rendering, loaded when scrolled into
// view); and a form that creates a board and opens it. The form checks every field as it is typed
// with the server's limits, maps the server's own `invalid_board` message to its field, and says
// what a 409 (taken) or 429 (too many boards today) means.

import { useCallback, useEffect, useState, type FormEvent } from "react";
import { BOARD_TITLE_MAX_CHARS, MAX_BOARD_COOLDOWN_MS, MAX_BOARD_SIDE, NAME_MAX_CHARS } from "@/lib/limits";
import type { BoardInfo, PublicUser } from "@/lib/protocol";
import { ApiError, boardPath, createBoard, createSession, getSessionInfo, listBoards } from "@/lib/client/api";
import {
  boardFormBody,
  boardHref,
  boardLabel,
  checkBoardForm,
  fieldOfServerMessage,
  mergeBoardPages,
  peopleCount,
  type BoardField,
  type BoardFormErrors,
  type BoardFormValues,
} from "@/lib/client/boards";
import { BOARD_LIST_PAGE, BOARD_LIST_REFRESH_MS } from "@/lib/client/constants";
import { nameProblem } from "@/lib/client/name-check";
import { Logo } from "@/components/Icons";

export default function BoardsPage() {
  return (
    <div className="boards-page">
      <title>Boards · Tessera</title>
      <header className="boards-top">
        <a className="brand" href="/" aria-label="Tessera: the main board">
          <Logo />
          <span className="brand-name">Tessera</span>
        </a>
        <a className="btn btn-small" href="/">
          Main board
        </a>
      </header>
      <main className="boards-main">
        <BoardList />
        <CreateBoard />
      </main>
    </div>
  );
}

function BoardList() {
  const [boards, setBoards] = useState<BoardInfo[] | null>(null);
  const [next, setNext] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);

  // The first page now and again while the page is visible: live counts and new boards.
  const refresh = useCallback(async () => {
    try {
      const page = await listBoards(null, BOARD_LIST_PAGE);
      setBoards((have) => {
        if (!have) return page.boards;
        // Keep pages loaded further down; their counts refresh when they come back to the top.
        const fresh = new Map(page.boards.map((b) => [b.id, b]));
        return mergeBoardPages(page.boards, have.map((b) => fresh.get(b.id) ?? b));
      });
      setNext((n) => n ?? page.next);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : "The boards could not be loaded.");
    }
  }, []);

  useEffect(() => {
    void refresh();
    const t = setInterval(() => {
      if (document.visibilityState === "visible") void refresh();
    }, BOARD_LIST_REFRESH_MS);
    return () => clearInterval(t);
  }, [refresh]);

  const more = async () => {
    if (!next || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await listBoards(next, BOARD_LIST_PAGE);
      setBoards((have) => mergeBoardPages(have ?? [], page.boards));
      setNext(page.next);
    } catch (e) {
      setError(e instanceof Error ? e.message : "More boards could not be loaded.");
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <section className="boards-section" aria-labelledby="boards-heading">
      <h1 id="boards-heading">Boards</h1>
      <p className="boards-lead">Public boards, busiest first. Each is its own canvas with its own crowd and cooldown.</p>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      {boards === null && !error && <p className="muted">Loading boards…</p>}
      <ul className="board-list" data-testid="board-list">
        {boards?.map((b) => (
          <li key={b.id} data-board-id={b.id}>
            <a className="board-card" href={boardHref(b.id)}>
              <span className="board-thumb">
                {/* The board's own PNG, one image pixel per board pixel, scaled up crisp by CSS. */}
                <img src={boardPath(b.id, "/canvas.png")} alt="" loading="lazy" decoding="async" width={b.width} height={b.height} />
              </span>
              <span className="board-card-text">
                <span className="board-card-title" data-testid="board-name">
                  {boardLabel(b)}
                </span>
                <span className="board-card-meta">
                  <span className="board-count" data-testid="board-count" data-count={b.activeUsers}>
                    <span className={`live-dot${b.activeUsers > 0 ? " is-live" : ""}`} aria-hidden="true" />
                    {peopleCount(b.activeUsers)}
                  </span>
                  <span className="muted">
                    {b.width}×{b.height}
                    {b.state === "frozen" ? " · frozen" : ""}
                  </span>
                </span>
              </span>
            </a>
          </li>
        ))}
      </ul>
      {boards?.length === 0 && <p className="muted">No public boards yet: make the first one.</p>}
      {next && (
        <button type="button" className="btn" onClick={() => void more()} disabled={loadingMore}>
          {loadingMore ? "Loading…" : "More boards"}
        </button>
      )}
    </section>
  );
}

const EMPTY: BoardFormValues = { title: "", width: "256", height: "256", cooldownS: "5", visibility: "public", id: "" };

function CreateBoard() {
  const [values, setValues] = useState<BoardFormValues>(EMPTY);
  const [touched, setTouched] = useState<Partial<Record<BoardField, boolean>>>({});
  const [serverErrors, setServerErrors] = useState<BoardFormErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [me, setMe] = useState<PublicUser | null | undefined>(undefined);
  const [name, setName] = useState("");
  const [nameTouched, setNameTouched] = useState(false);
  const [nameError, setNameError] = useState<string | null>(null);

  useEffect(() => {
    getSessionInfo().then(
      (s) => setMe(s?.user ?? null),
      () => setMe(null),
    );
  }, []);

  const errors = checkBoardForm(values);
  const shown = (f: BoardField): string | undefined => serverErrors[f] ?? (touched[f] ? errors[f] : undefined);
  const needName = me === null;
  const nameShown = nameError ?? (needName && nameTouched ? nameProblem(name) : null);

  const set = (f: BoardField, key: keyof BoardFormValues) => (value: string) => {
    setValues((v) => ({ ...v, [key]: value }));
    setTouched((t) => ({ ...t, [f]: true }));
    setServerErrors((e) => ({ ...e, [f]: undefined }));
    setFormError(null);
  };

  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (busy) return;
    setTouched({ title: true, width: true, height: true, cooldown: true, visibility: true, id: true });
    setNameTouched(true);
    if (Object.keys(errors).length > 0 || (needName && nameProblem(name))) return;
    setBusy(true);
    setFormError(null);
    try {
      if (needName) {
        try {
          setMe(await createSession(name));
        } catch (err) {
          setNameError(err instanceof ApiError ? (err.code === "rate_limited" ? "Too many new names from this address — try again in a minute." : err.message) : "Could not reach the server.");
          return;
        }
      }
      const board = await createBoard(boardFormBody(values));
      // Open the new board (a page load: the board page starts from its address).
      window.location.assign(boardHref(board.id));
    } catch (err) {
      if (!(err instanceof ApiError)) {
        setFormError("Could not reach the server. Check your connection and try again.");
      } else if (err.code === "invalid_board") {
        const { field, text } = fieldOfServerMessage(err.message);
        if (field) setServerErrors((s) => ({ ...s, [field]: text }));
        else setFormError(err.message);
      } else if (err.code === "board_exists") {
        if (values.id.trim()) setServerErrors((s) => ({ ...s, id: `The address /b/${values.id.trim()} is taken: choose another id.` }));
        else setServerErrors((s) => ({ ...s, id: "A board with this title already exists: give yours an id (its address)." }));
      } else if (err.code === "rate_limited") {
        setFormError(`You have made as many boards as one person may in a day (${err.message.replace(/^at most /, "")}). Try again tomorrow, or use one of the boards above.`);
      } else if (err.code === "no_session") {
        setMe(null);
        setFormError("Your session has ended: choose a name and create the board again.");
      } else {
        setFormError(err.message);
      }
    } finally {
      setBusy(false);
    }
  }

  const field = (f: BoardField, label: string, input: React.ReactNode, hint: string) => {
    const err = shown(f);
    return (
      <div className={`form-field field-${f}`}>
        <label className="field-label" htmlFor={`board-${f}`}>
          {label}
        </label>
        {input}
        <p id={`board-${f}-message`} className={err ? "field-error" : "field-hint"} data-testid={err ? `create-${f}-error` : undefined} aria-live="polite">
          {err ?? hint}
        </p>
      </div>
    );
  };
  const inputProps = (f: BoardField) => ({
    id: `board-${f}`,
    "data-testid": `create-${f}`,
    className: "text-input",
    "aria-invalid": shown(f) !== undefined,
    "aria-describedby": `board-${f}-message`,
    onBlur: () => setTouched((t) => ({ ...t, [f]: true })),
  });

  return (
    <section className="boards-section create-section" id="create" aria-labelledby="create-heading">
      <h2 id="create-heading">New board</h2>
      <form className="create-board" data-testid="create-board" onSubmit={(e) => void submit(e)} noValidate>
        {needName && (
          <div className="form-field field-name">
            <label className="field-label" htmlFor="create-name">
              Your name
            </label>
            <input
              id="create-name"
              data-testid="create-name"
              className="text-input"
              autoComplete="nickname"
              maxLength={NAME_MAX_CHARS * 2}
              value={name}
              onChange={(e) => {
                setName(e.target.value);
                setNameTouched(true);
                setNameError(null);
              }}
              aria-invalid={nameShown !== null}
              aria-describedby="create-name-message"
            />
            <p id="create-name-message" className={nameShown ? "field-error" : "field-hint"} aria-live="polite">
              {nameShown ?? "Boards are made by someone: choose the name you will place pixels under."}
            </p>
          </div>
        )}
        {field(
          "title",
          "Title",
          <input {...inputProps("title")} maxLength={BOARD_TITLE_MAX_CHARS * 2} placeholder="e.g. Class 7B mural" value={values.title} onChange={(e) => set("title", "title")(e.target.value)} />,
          `Shown on the board and in the list. ${[...values.title.trim()].length}/${BOARD_TITLE_MAX_CHARS}.`,
        )}
        <div className="form-row">
          {field(
            "width",
            "Width",
            <input {...inputProps("width")} inputMode="numeric" value={values.width} onChange={(e) => set("width", "width")(e.target.value)} />,
            `Pixels, 1–${MAX_BOARD_SIDE}.`,
          )}
          {field(
            "height",
            "Height",
            <input {...inputProps("height")} inputMode="numeric" value={values.height} onChange={(e) => set("height", "height")(e.target.value)} />,
            `Pixels, 1–${MAX_BOARD_SIDE}.`,
          )}
          {field(
            "cooldown",
            "Cooldown",
            <input {...inputProps("cooldown")} inputMode="decimal" value={values.cooldownS} onChange={(e) => set("cooldown", "cooldownS")(e.target.value)} />,
            `Seconds between two pixels of one person, 0–${MAX_BOARD_COOLDOWN_MS / 1000}.`,
          )}
        </div>
        <div className="form-row">
          {field(
            "visibility",
            "Who finds it",
            <select
              {...inputProps("visibility")}
              value={values.visibility}
              onChange={(e) => set("visibility", "visibility")(e.target.value)}
            >
              <option value="public">Public: listed here</option>
              <option value="unlisted">Unlisted: only with its link</option>
            </select>,
            "Anyone with the link can always join.",
          )}
          {field(
            "id",
            "Address (optional)",
            <input {...inputProps("id")} maxLength={64} placeholder="made from the title" value={values.id} onChange={(e) => set("id", "id")(e.target.value)} />,
            values.id.trim() ? `The board will be at /b/${values.id.trim()}.` : "a-z, 0-9 and '-', up to 32: the board's /b/… address.",
          )}
        </div>
        {formError && (
          <p className="field-error form-error" role="alert" data-testid="create-error">
            {formError}
          </p>
        )}
        <button type="submit" className="btn btn-primary" data-testid="create-submit" disabled={busy}>
          {busy ? "Creating…" : "Create and open"}
        </button>
      </form>
    </section>
  );
}
