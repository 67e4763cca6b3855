// Messages between the page and the wasm worker. One worker runs one
// program: Stop and the time limit terminate it (a WebAssembly loop can't
// be interrupted from outside), so there is no interrupt buffer. Input uses
// the Pyodide worker's shared-buffer layout (../pyodide/protocol).

export interface RunMessage {
  type: 'run'
  module: WebAssembly.Module
  /** Control word, length, then one chunk of input; null: stdin is fixed. */
  stdin: SharedArrayBuffer | null
  /** The whole input when it is fixed (the request's stdin). */
  fixedStdin: string | null
  outputChars: number
}

export type ToWasmWorker = RunMessage

export type FromWasmWorker =
  | { type: 'started' }
  | { type: 'output'; stream: 'stdout' | 'stderr'; text: string }
  /** The program is blocked reading stdin and nothing is buffered. */
  | { type: 'stdin-wait' }
  | { type: 'done'; exitCode: number | null; elapsed: number; truncated: boolean; message: string | null }
