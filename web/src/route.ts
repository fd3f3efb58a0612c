// Hash routes: #/ start page, #/c/ID a capture, #/compare/A/B two captures side by side.
import { useEffect, useState } from 'react';

export type Route = { page: 'start' } | { page: 'capture'; id: string } | { page: 'compare'; a: string; b: string };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'c' && parts[1]) return { page: 'capture', id: parts[1] };
  if (parts[0] === 'compare' && parts[1] && parts[2]) return { page: 'compare', a: parts[1], b: parts[2] };
  return { page: 'start' };
}

export function go(path: string): void { window.location.hash = '#' + path; }

export function useRoute(): Route {
  const [r, setR] = useState(() => parseRoute(window.location.hash));
  useEffect(() => {
    const on = () => setR(parseRoute(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}
