// Routes between the start page, a capture and a comparison of two captures.
import { useEffect } from 'react';
import { api } from './api';
import { CaptureView } from './CaptureView';
import { CompareView } from './Compare';
import { go, useRoute } from './route';
import { StartPage } from './StartPage';

export function App() {
  const route = useRoute();
  // `wiresage ui FILE` opened files before the browser came: show the first one, as `wireshark FILE` does.
  useEffect(() => {
    if (window.location.hash) return;
    api.captures().then((c) => { if (c.length > 0 && !window.location.hash) go(`/c/${encodeURIComponent(c[0].id)}`); }, () => {});
  }, []);
  useEffect(() => {
    if (route.page !== 'capture') document.title = route.page === 'start' ? 'wiresage' : 'wiresage — compare';
  }, [route]);
  if (route.page === 'capture') return <CaptureView key={route.id} id={route.id} />;
  if (route.page === 'compare') return <CompareView key={route.a + '/' + route.b} a={route.a} b={route.b} />;
  return <StartPage />;
}
