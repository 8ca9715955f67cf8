import { h, svg } from './dom.ts';
import { clock } from './format.ts';

/** One line of a chart; `null` values leave a gap (e.g. no latency without completions). */
export interface Series {
  name: string;
  values: readonly (number | null)[];
  /** Fill the area under the line (the first series of a throughput chart). */
  area?: boolean;
  /** Colour slot 0–3 (see `.series-N` in the stylesheet). */
  tone: 0 | 1 | 2 | 3;
}

export interface LineChartOptions {
  /** Stable name, set as `data-chart` (tests and styles find the chart by it). */
  id: string;
  title: string;
  /** Start of each bucket, milliseconds since the epoch. */
  times: readonly number[];
  series: readonly Series[];
  /** Formats a y value (axis labels and the read-out). */
  format: (value: number) => string;
  /** What an empty chart says. */
  empty: string;
  height?: number;
}

const MARGIN = { top: 10, right: 14, bottom: 24, left: 52 };

/**
 * A line (and area) chart drawn as inline SVG: y axis with rounded ticks and grid lines, time
 * labels on the x axis, a legend, and a read-out of the values under the pointer — or, with the
 * keyboard, under the arrow keys once the chart has focus. It redraws itself at its box's width
 * so text stays crisp. `data-total` and `data-points` say what the first series holds.
 */
export function lineChart(options: LineChartOptions): HTMLElement {
  const height = options.height ?? 180;
  const first = options.series[0]?.values ?? [];
  const drawn = first.filter((v): v is number => v !== null);
  const total = drawn.reduce((a, b) => a + b, 0);
  const readout = h('div', { class: 'chart-readout', 'aria-live': 'polite' });
  const plot = h('div', { class: 'chart-plot' });
  const figure = h(
    'figure',
    {
      class: 'chart',
      tabindex: 0,
      data: { chart: options.id, total, points: drawn.filter((v) => v > 0).length },
      'aria-label': `${options.title}: ${summary(options)}. Use the left and right arrow keys to read the values.`,
    },
    h(
      'figcaption',
      null,
      h('span', { class: 'chart-title' }, options.title),
      h(
        'span',
        { class: 'chart-legend' },
        options.series.map((s) =>
          h(
            'span',
            { class: `legend-item series-${s.tone}` },
            h('i', { 'aria-hidden': 'true' }),
            s.name,
          ),
        ),
      ),
    ),
    plot,
    readout,
  );

  let index: number | null = null;
  let width = 0;
  const draw = () => {
    const w = Math.max(240, Math.round(plot.clientWidth || 520));
    if (w === width && plot.firstChild) return;
    width = w;
    plot.replaceChildren(render(options, w, height, index));
  };
  const show = (i: number | null) => {
    index = i === null ? null : Math.max(0, Math.min(options.times.length - 1, i));
    width = 0;
    draw();
    readout.textContent = index === null ? '' : describe(options, index);
  };

  plot.addEventListener('pointermove', (event) => {
    const box = plot.getBoundingClientRect();
    const inner = box.width - MARGIN.left - MARGIN.right;
    const n = options.times.length;
    if (n === 0 || inner <= 0) return;
    const x = event.clientX - box.left - MARGIN.left;
    show(Math.round((x / inner) * (n - 1)));
  });
  plot.addEventListener('pointerleave', () => show(null));
  figure.addEventListener('keydown', (event) => {
    const n = options.times.length;
    if (n === 0) return;
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1 };
    if (event.key in moves) {
      event.preventDefault();
      show((index ?? (moves[event.key]! > 0 ? -1 : n)) + moves[event.key]!);
    } else if (event.key === 'Home') show(0);
    else if (event.key === 'End') show(n - 1);
    else if (event.key === 'Escape') show(null);
  });
  figure.addEventListener('blur', () => show(null));

  // Draw once attached (the width is known then), and again when the box changes size.
  const observer = new ResizeObserver(() => draw());
  observer.observe(plot);
  queueMicrotask(draw);
  return figure;
}

function render(
  options: LineChartOptions,
  width: number,
  height: number,
  highlight: number | null,
): SVGSVGElement {
  const { times, series } = options;
  const n = times.length;
  const innerW = width - MARGIN.left - MARGIN.right;
  const innerH = height - MARGIN.top - MARGIN.bottom;
  const max = Math.max(
    0,
    ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)),
  );
  const ticks = niceTicks(max);
  const top = ticks[ticks.length - 1] ?? 1;
  const x = (i: number) => MARGIN.left + (n <= 1 ? innerW / 2 : (i / (n - 1)) * innerW);
  const y = (v: number) => MARGIN.top + innerH - (v / top) * innerH;

  const root = svg('svg', {
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'presentation',
    'aria-hidden': 'true',
  });

  for (const t of ticks) {
    root.append(
      svg('line', {
        class: 'grid',
        x1: MARGIN.left,
        x2: width - MARGIN.right,
        y1: y(t),
        y2: y(t),
      }),
      svg(
        'text',
        { class: 'axis-label', x: MARGIN.left - 6, y: y(t) + 3.5, 'text-anchor': 'end' },
        options.format(t),
      ),
    );
  }
  for (const i of timeTicks(times, Math.max(2, Math.floor(innerW / 64)))) {
    root.append(
      svg('line', {
        class: 'tick',
        x1: x(i),
        x2: x(i),
        y1: MARGIN.top + innerH,
        y2: MARGIN.top + innerH + 4,
      }),
      svg(
        'text',
        { class: 'axis-label', x: x(i), y: height - 6, 'text-anchor': 'middle' },
        axisTime(times[i]!),
      ),
    );
  }
  root.append(
    svg('line', {
      class: 'axis',
      x1: MARGIN.left,
      x2: width - MARGIN.right,
      y1: MARGIN.top + innerH,
      y2: MARGIN.top + innerH,
    }),
  );

  for (const s of series) {
    const segments = segmentsOf(s.values);
    for (const segment of segments) {
      const line = segment
        .map((i, k) => `${k === 0 ? 'M' : 'L'}${x(i).toFixed(1)},${y(s.values[i]!).toFixed(1)}`)
        .join('');
      if (s.area && segment.length > 1) {
        const base = y(0).toFixed(1);
        root.append(
          svg('path', {
            class: `area series-${s.tone}`,
            d: `${line}L${x(segment[segment.length - 1]!).toFixed(1)},${base}L${x(segment[0]!).toFixed(1)},${base}Z`,
          }),
        );
      }
      root.append(svg('path', { class: `line series-${s.tone}`, d: line }));
    }
    // Points where a bucket has something, so sparse data is visible.
    s.values.forEach((v, i) => {
      if (v !== null && (v > 0 || segments.some((seg) => seg.length === 1 && seg[0] === i))) {
        root.append(svg('circle', { class: `point series-${s.tone}`, cx: x(i), cy: y(v), r: 2.2 }));
      }
    });
  }

  if (max === 0) {
    root.append(
      svg(
        'text',
        {
          class: 'chart-empty',
          x: MARGIN.left + innerW / 2,
          y: MARGIN.top + innerH / 2,
          'text-anchor': 'middle',
        },
        options.empty,
      ),
    );
  }
  if (highlight !== null && n > 0) {
    root.append(
      svg('line', {
        class: 'crosshair',
        x1: x(highlight),
        x2: x(highlight),
        y1: MARGIN.top,
        y2: MARGIN.top + innerH,
      }),
    );
    for (const s of series) {
      const v = s.values[highlight];
      if (v !== null && v !== undefined) {
        root.append(
          svg('circle', {
            class: `point focus series-${s.tone}`,
            cx: x(highlight),
            cy: y(v),
            r: 4,
          }),
        );
      }
    }
  }
  return root;
}

const STEPS = [
  15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
].map((s) => s * 1000);

/** Indexes of buckets that start on a round time (every 5 min, every hour…), at most `most`. */
function timeTicks(times: readonly number[], most: number): number[] {
  const n = times.length;
  if (n === 0) return [];
  const span = times[n - 1]! - times[0]!;
  const step = STEPS.find((s) => span / s <= most - 1) ?? STEPS[STEPS.length - 1]!;
  // Round in local time, so labels read 12:00, 12:05 wherever the browser is.
  const offset = new Date(times[0]!).getTimezoneOffset() * 60_000;
  const out = times.flatMap((t, i) => ((t - offset) % step === 0 ? [i] : []));
  return out.length > 0 ? out : [0];
}

const axisFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

function axisTime(ms: number): string {
  return axisFormat.format(ms);
}

/** Runs of consecutive non-null indexes. */
function segmentsOf(values: readonly (number | null)[]): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  values.forEach((v, i) => {
    if (v === null) {
      if (current.length) out.push(current);
      current = [];
    } else current.push(i);
  });
  if (current.length) out.push(current);
  return out;
}

/** 0 and 3–5 round steps covering `max` (1, 2, 2.5, 5 × 10ⁿ). */
export function niceTicks(max: number): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough) ?? rough;
  const ticks: number[] = [];
  for (let t = 0; t < max + step * 0.999; t += step) ticks.push(Number(t.toPrecision(12)));
  if (ticks.length < 2) ticks.push(step);
  return ticks;
}

function describe(options: LineChartOptions, i: number): string {
  const at = clock(options.times[i]!, true);
  const values = options.series.map((s) => {
    const v = s.values[i];
    return `${s.name} ${v === null || v === undefined ? '—' : options.format(v)}`;
  });
  return `${at}: ${values.join(', ')}`;
}

function summary(options: LineChartOptions): string {
  return options.series
    .map((s) => {
      const values = s.values.filter((v): v is number => v !== null);
      if (values.length === 0) return `${s.name}: no data`;
      return `${s.name}: peak ${options.format(Math.max(...values))}, latest ${options.format(values[values.length - 1]!)}`;
    })
    .join('; ');
}
