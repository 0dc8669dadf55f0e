// The demo's terminal output. On a terminal, one table redrawn in place
// (ANSI cursor movement) with the latest events under it; anywhere else
// (a pipe, a CI log), plain lines appended: every event, and a binding's row
// whenever it changes.
import type { BindingView, Snapshot } from './monitor.ts';
import { keyOf } from './monitor.ts';
import { short, type EventEntry } from './scenario.ts';

export interface Renderer {
  snapshot(s: Snapshot): void;
  event(e: EventEntry): void;
  /** Plain text under the output (the summary, instructions). */
  print(text: string): void;
  /** Stops redrawing; leaves the last frame on screen. */
  stop(): void;
}

const ESC = '\x1b[';
const COLOR = { green: '32', yellow: '33', red: '31', dim: '2', bold: '1', cyan: '36' } as const;
type Color = keyof typeof COLOR;

function paint(text: string, color: Color | undefined, enabled: boolean): string {
  return enabled && color ? `${ESC}${COLOR[color]}m${text}${ESC}0m` : text;
}

/** Visible width: ANSI sequences take no room. */
function visible(text: string): number {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').length;
}

/** Cuts `text` to `width` visible characters, keeping ANSI sequences intact. */
function truncate(text: string, width: number): string {
  if (visible(text) <= width) return text;
  let out = '';
  let shown = 0;
  for (let i = 0; i < text.length && shown < width; ) {
    const m = /^\x1b\[[0-9;?]*[A-Za-z]/.exec(text.slice(i));
    if (m) {
      out += m[0];
      i += m[0].length;
    } else {
      out += text[i];
      shown += 1;
      i += 1;
    }
  }
  return `${out}${ESC}0m`;
}

export function stamp(ms: number): string {
  return `[${(ms / 1000).toFixed(1).padStart(6)} s]`;
}

interface Cell {
  text: string;
  color?: Color;
}

const HEADERS = ['BINDING', 'READY', 'REASON', 'SECRET', 'TARGET', 'SERVING', 'STATE'];

/** A target's state from the binding's status; a retry shows the provider's code (it is Pending meanwhile). */
function targetState(t: BindingView['targets'][number]): Cell {
  if (!t.state) return { text: '-', color: 'dim' };
  if (t.state === 'Synced') return { text: 'Synced', color: 'green' };
  if (t.state === 'Failed') return { text: t.code ? `Failed ${t.code}` : 'Failed', color: 'red' };
  return { text: t.code ?? t.state, color: 'yellow' };
}

/** The table's rows: one per target, the binding's cells on its first (its cloud under its name). */
export function tableRows(s: Snapshot): Cell[][] {
  const rows: Cell[][] = [];
  for (const view of s.bindings) {
    const secret = view.secretFingerprint;
    view.targets.forEach((t, i) => {
      const first = i === 0;
      const readyColor: Color = view.ready === 'True' ? 'green' : view.ready === 'False' ? 'yellow' : 'dim';
      rows.push([
        first ? { text: keyOf(view.binding), color: 'bold' } : i === 1 ? { text: `  ${view.binding.provider}`, color: 'dim' } : { text: '' },
        first ? { text: view.ready ?? (view.exists ? '…' : '-'), color: readyColor } : { text: '' },
        first ? { text: view.reason ?? '-', color: readyColor } : { text: '' },
        first ? { text: short(secret), color: 'cyan' } : { text: '' },
        { text: t.name },
        { text: short(t.serving), color: !t.serving ? 'dim' : t.serving === secret ? 'green' : 'yellow' },
        targetState(t),
      ]);
    });
  }
  return rows;
}

function layout(rows: Cell[][], color: boolean): string[] {
  const all: Cell[][] = [HEADERS.map((text) => ({ text, color: 'dim' as const })), ...rows];
  const widths = HEADERS.map((_, c) => Math.max(...all.map((r) => r[c]?.text.length ?? 0)));
  return all.map((r) =>
    r
      .map((cell, c) => (c === r.length - 1 ? paint(cell.text, cell.color, color) : paint(cell.text.padEnd(widths[c] ?? 0), cell.color, color)))
      .join('  ')
      .trimEnd(),
  );
}

/** One line per binding, for logs: `demo/x  False/Syncing  secret 1234…  a.com 1234… Synced | b.com …`. */
export function bindingLine(view: BindingView): string {
  const targets = view.targets.map((t) => `${t.name}: ${short(t.serving)} ${targetState(t).text}`).join(' | ');
  return `${keyOf(view.binding)} (${view.binding.provider})  Ready ${view.ready ?? '-'}/${view.reason ?? '-'}  secret ${short(view.secretFingerprint)}  ${targets}`;
}

/** Appended lines: events, and each binding's line when it changes. */
export class PlainRenderer implements Renderer {
  readonly #out: NodeJS.WritableStream;
  readonly #last = new Map<string, string>();
  #stopped = false;

  constructor(out: NodeJS.WritableStream) {
    this.#out = out;
  }

  snapshot(s: Snapshot): void {
    if (this.#stopped) return;
    for (const view of s.bindings) {
      if (!view.exists) continue;
      const line = bindingLine(view);
      if (this.#last.get(keyOf(view.binding)) === line) continue;
      this.#last.set(keyOf(view.binding), line);
      this.#out.write(`${stamp(s.at)}   ${line}\n`);
    }
  }

  event(e: EventEntry): void {
    if (!this.#stopped) this.#out.write(`${stamp(e.at)} ${e.text}\n`);
  }

  print(text: string): void {
    this.#out.write(`${text}\n`);
  }

  stop(): void {
    this.#stopped = true;
  }
}

const EVENTS_SHOWN = 9;

/** The live table: the whole frame redrawn in place. */
export class LiveTable implements Renderer {
  readonly #out: NodeJS.WriteStream;
  readonly #title: string;
  readonly #color: boolean;
  readonly #now: () => number;
  readonly #events: EventEntry[] = [];
  #snapshot: Snapshot | undefined;
  #drawn = 0;
  #stopped = false;
  readonly #ticker: NodeJS.Timeout;

  constructor(out: NodeJS.WriteStream, opts: { title: string; now: () => number; color: boolean }) {
    this.#out = out;
    this.#title = opts.title;
    this.#color = opts.color;
    this.#now = opts.now;
    this.#out.write(`${ESC}?25l`); // hide the cursor while redrawing
    // The clock moves even when nothing else does.
    this.#ticker = setInterval(() => this.#draw(), 250);
    this.#ticker.unref();
  }

  snapshot(s: Snapshot): void {
    this.#snapshot = s;
    this.#draw();
  }

  event(e: EventEntry): void {
    this.#events.push(e);
    this.#draw();
  }

  print(text: string): void {
    // Below the frame, which is not redrawn again once something is printed under it.
    this.stop();
    this.#out.write(`${text}\n`);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#draw();
    this.#stopped = true;
    clearInterval(this.#ticker);
    this.#out.write(`${ESC}?25h`);
  }

  #frame(): string[] {
    const c = this.#color;
    const lines = [`${paint(this.#title, 'bold', c)}  ${paint(`elapsed ${(this.#now() / 1000).toFixed(1)} s`, 'dim', c)}`, ''];
    if (this.#snapshot) lines.push(...layout(tableRows(this.#snapshot), c));
    else lines.push(paint('starting…', 'dim', c));
    lines.push('');
    // Never taller than the terminal: the cursor cannot move up past its top.
    const shown = Math.max(0, Math.min(EVENTS_SHOWN, (this.#out.rows ?? 40) - lines.length - 1));
    const recent = shown > 0 ? this.#events.slice(-shown) : [];
    for (const e of recent) lines.push(`${paint(stamp(e.at), 'dim', c)} ${e.text}`);
    for (let i = recent.length; i < shown; i++) lines.push('');
    return lines;
  }

  #draw(): void {
    if (this.#stopped) return;
    const width = Math.max(20, (this.#out.columns ?? 120) - 1);
    const lines = this.#frame().map((l) => truncate(l, width));
    const up = this.#drawn > 0 ? `\r${ESC}${this.#drawn}A` : '';
    this.#out.write(`${up}${ESC}J${lines.join('\n')}\n`);
    this.#drawn = lines.length;
  }
}
