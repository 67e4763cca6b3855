// The package entry `runblock-web/components`: the lesson page's React
// components for a React app of the platform. Wrap them in
// <RunnerContext value={runner}> (one runner per page, so the run quota is
// shared; createPageRunner() gives the lesson page's own, browser + server)
// and import 'runblock-web/styles.css' once.
export { InteractiveCodeBlock, type InteractiveCodeBlockProps } from './InteractiveCodeBlock'
export { TerminalOutput, type TerminalOutputProps } from './TerminalOutput'
export { CodeEditor, type CodeEditorHandle, type CodeEditorProps } from './CodeEditor'
export { LessonPage } from './LessonPage'
export { RunnerContext, useRunner } from '../hooks/RunnerContext'
export { useCodeExecution, type CodeExecution, type ExecutionTarget } from '../hooks/useCodeExecution'
export { createPageRunner } from '../runner/page'
export type { CodeBlock } from '../lib/api'
