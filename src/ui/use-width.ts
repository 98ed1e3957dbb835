/** The rendered width of an element, so SVG charts draw in real pixels and keep text readable. */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RefObject } from 'preact';

export function useWidth<T extends Element>(fallback: number): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const el = ref.current;
    if (el === null) return undefined;
    setWidth(Math.floor(el.getBoundingClientRect().width) || fallback);
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      if (w !== undefined && w > 0) setWidth(Math.floor(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [fallback]);
  return [ref, width];
}
