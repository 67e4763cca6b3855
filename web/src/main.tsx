import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { App } from './App'
import { RunnerContext } from './hooks/RunnerContext'
import { ServerRunner } from './runner/server'
import './styles.css'

const runner = new ServerRunner()

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <RunnerContext value={runner}>
      <App path={location.pathname} />
    </RunnerContext>
  </StrictMode>,
)
