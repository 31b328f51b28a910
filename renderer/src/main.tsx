import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { api } from './api/client'
import { App } from './app/App'
import './styles/app.css'

const root = createRoot(document.getElementById('root')!)
try {
  api() // Fails clearly when the page was not served by a studio host.
  root.render(
    <StrictMode>
      <App />
    </StrictMode>,
  )
} catch (error) {
  root.render(
    <div className="fatal" role="alert">
      <h1>CNN Studio cannot reach its back end</h1>
      <p>{error instanceof Error ? error.message : String(error)}</p>
    </div>,
  )
}
