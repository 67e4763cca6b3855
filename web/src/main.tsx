import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { RunnerContext } from './hooks/RunnerContext'
import { createPageRunner } from './runner/page'
import './styles.css'

// Python runs in the browser when it can, on the server otherwise (runner/auto.ts).
const { runner } = createPageRunner()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RunnerContext value={runner}>
      <App path={location.pathname} />
    </RunnerContext>
  </StrictMode>,
)
