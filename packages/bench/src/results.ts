// Results of scenarios: table rows (plain TCP next to mpx, the goal, PASS or
// MISS), free-form measured data for the JSON file, and notes.

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Column, TableLine } from './table.js';
import { colours, renderTable } from './table.js';

export type Status = 'PASS' | 'MISS' | 'INFO' | 'ERROR';

export interface Row {
  scenario: string;
  case: string;
  plain: string;
  mpx: string;
  goal: string;
  status: Status;
}

export interface ScenarioResult {
  name: string;
  rows: Row[];
  notes: string[];
  /** Measured values, settings and raw numbers for the JSON file. */
  data: Record<string, unknown>;
  durationMs: number;
  error?: string;
}

/** PASS when ok, else MISS. */
export function verdict(ok: boolean): Status {
  return ok ? 'PASS' : 'MISS';
}

/** Collects rows, notes and data while a scenario runs. */
export class Recorder {
  readonly name: string;
  readonly rows: Row[] = [];
  readonly notes: string[] = [];
  readonly data: Record<string, unknown> = {};

  constructor(name: string) {
    this.name = name;
  }

  row(r: Omit<Row, 'scenario'>): void {
    this.rows.push({ scenario: this.name, ...r });
  }

  note(text: string): void {
    this.notes.push(text);
  }
}

const COLUMNS: Column[] = [
  { header: 'scenario' },
  { header: 'case' },
  { header: 'plain TCP', align: 'right' },
  { header: 'mpx', align: 'right' },
  { header: 'goal' },
  { header: 'result' },
];

/** The results table, one group per scenario. */
export function renderResults(results: readonly ScenarioResult[], colour: boolean): string {
  const c = colours(colour);
  const lines: TableLine[] = [];
  results.forEach((r, i) => {
    if (i > 0) lines.push({ separator: true });
    r.rows.forEach((row, j) => lines.push({ cells: [j === 0 ? row.scenario : '', row.case, row.plain, row.mpx, row.goal, row.status] }));
    if (r.rows.length === 0) lines.push({ cells: [r.name, '', '', '', '', 'ERROR'] });
  });
  return renderTable(COLUMNS, lines, {
    paint: (padded, raw, col) => {
      if (col !== 5) return padded;
      if (raw === 'PASS') return c.green(padded);
      if (raw === 'MISS' || raw === 'ERROR') return c.red(padded);
      return c.dim(padded);
    },
  });
}

export function summaryCounts(results: readonly ScenarioResult[]): Record<Status, number> {
  const counts: Record<Status, number> = { PASS: 0, MISS: 0, INFO: 0, ERROR: 0 };
  for (const r of results) {
    for (const row of r.rows) counts[row.status]++;
    if (r.error !== undefined && !r.rows.some((row) => row.status === 'ERROR')) counts.ERROR++;
  }
  return counts;
}

export function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** "2026-11-21T21-55-24Z": a file-name-safe UTC time stamp. */
export function fileStamp(d: Date): string {
  return d
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}
