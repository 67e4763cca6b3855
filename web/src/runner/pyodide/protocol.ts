// The messages between the page and the Pyodide worker. Both sides import
// this file, so a renamed field is a type error on both ends.
//
// Two shared buffers carry what must reach a worker that is busy running
// Python (postMessage can't: the worker's event loop is blocked by the run):
// - interrupt: one byte, Pyodide's interrupt buffer (2 = SIGINT);
// - stdin: an Int32 control word and a length, then the bytes of one chunk.

/** Values of the stdin control word. */
export const STDIN_EMPTY = 0
export const STDIN_DATA = 1
export const STDIN_EOF = 2

/** Byte offset of the data after the control word and the length. */
export const STDIN_HEADER = 8
/** Room for one chunk of input; longer input is sent in several chunks. */
export const STDIN_CAPACITY = 64 * 1024

export const SIGINT = 2

export interface InitMessage {
  type: 'init'
  /** Where pyodide.mjs and its runtime files are served (same origin, same version). */
  indexURL: string
  interrupt: SharedArrayBuffer
  stdin: SharedArrayBuffer
  /** Characters of output kept per run (the environment's output_chars). */
  outputChars: number
}

/** Packages whose wheels the server serves (names from pyodide-lock.json); sent before the first analysis. */
export interface PackagesMessage {
  type: 'packages'
  packages: string[]
}

export interface AnalyzeMessage {
  type: 'analyze'
  id: number
  code: string
}

export interface RunMessage {
  type: 'run'
  id: number
  code: string
}

export type ToWorker = InitMessage | PackagesMessage | AnalyzeMessage | RunMessage

export interface ReadyMessage {
  type: 'ready'
  pythonVersion: string
  pyodideVersion: string
  loadMs: number
}

export interface LoadErrorMessage {
  type: 'load-error'
  message: string
}

export interface AnalysisMessage {
  type: 'analysis'
  id: number
  /** Top-level modules the code imports. */
  imports: string[]
  /** Imports the browser can't satisfy (neither built in nor a served wheel). */
  missing: string[]
  /** Served packages the code needs loaded first. */
  packages: string[]
  /** The code does not parse: the run will only print the SyntaxError. */
  syntaxError: boolean
}

/** Sent when packages are loaded and the program itself starts. */
export interface StartedMessage {
  type: 'started'
  id: number
}

export interface OutputMessage {
  type: 'output'
  id: number
  stream: 'stdout' | 'stderr'
  text: string
}

/** A figure (matplotlib's plt.show() or a figure still open at the end), in order with the output. */
export interface ImageMessage {
  type: 'image'
  id: number
  mime: string
  data: string
  alt: string
}

/** The program is blocked in a read of stdin and nothing is buffered. */
export interface StdinWaitMessage {
  type: 'stdin-wait'
  id: number
}

export interface DoneMessage {
  type: 'done'
  id: number
  status: 'success' | 'error' | 'cancelled'
  exitCode: number | null
  /** Seconds the program itself ran (package loading excluded). */
  elapsed: number
  truncated: boolean
  /** Figures past the run's image budget, not sent. */
  imagesDropped?: number
  /** Why the run could not happen (a package failed to load...). */
  message: string | null
}

export type FromWorker =
  | ReadyMessage
  | LoadErrorMessage
  | AnalysisMessage
  | StartedMessage
  | OutputMessage
  | ImageMessage
  | StdinWaitMessage
  | DoneMessage

/** The part of Worker the client uses, so tests can pass a fake. */
export interface WorkerLike {
  postMessage(msg: ToWorker): void
  terminate(): void
  onmessage: ((ev: MessageEvent<FromWorker>) => void) | null
  onerror: ((ev: ErrorEvent | Event) => void) | null
}
