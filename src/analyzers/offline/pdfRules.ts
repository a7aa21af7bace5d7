/**
 * The straight horizontal and vertical lines a PDF page draws (table rules): stroked line
 * segments and rectangle edges, and thin filled rectangles (many writers draw rules that way),
 * from the page's operator list with the graphics state's transforms applied. Runs inside the
 * PDF worker; positions in inches, top-left origin, in the page's displayed orientation.
 */
type Pdfjs = typeof import("pdfjs-dist/legacy/build/pdf.mjs");

export interface Rule {
  /** "h": y0 === y1 and x0 < x1; "v": x0 === x1 and y0 < y1. */
  direction: "h" | "v";
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

interface OperatorList {
  fnArray: number[];
  argsArray: unknown[];
}

/** pdfjs's path commands inside a constructPath operator (DrawOPS). */
const MOVE_TO = 0;
const LINE_TO = 1;
const CURVE_TO = 2;
const QUADRATIC_CURVE_TO = 3;
const CLOSE_PATH = 4;

/** A filled rectangle thinner than this (points) is a rule, not a shaded area. */
const THIN = 3;
/** Rules shorter than this (points) are glyph parts or bullets, not table lines. */
const SHORTEST = 6;

export function rulesOfOperatorList(lib: Pdfjs, operators: OperatorList, viewportTransform: number[]): Rule[] {
  const { OPS, Util } = lib;
  const painting = new Set([OPS.stroke, OPS.closeStroke, OPS.fill, OPS.eoFill, OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke, OPS.closeEOFillStroke]);
  const strokes = new Set([OPS.stroke, OPS.closeStroke, OPS.fillStroke, OPS.eoFillStroke, OPS.closeFillStroke, OPS.closeEOFillStroke]);
  const rules: Rule[] = [];
  let ctm = [1, 0, 0, 1, 0, 0];
  const stack: number[][] = [];
  for (let i = 0; i < operators.fnArray.length; i++) {
    const fn = operators.fnArray[i];
    const args = operators.argsArray[i] as unknown[] | null;
    if (fn === OPS.save) stack.push(ctm);
    else if (fn === OPS.restore) ctm = stack.pop() ?? ctm;
    else if (fn === OPS.transform) ctm = Util.transform(ctm, args as number[]) as number[];
    else if (fn === OPS.paintFormXObjectBegin) {
      stack.push(ctm);
      const matrix = (args as [number[] | null])?.[0];
      if (Array.isArray(matrix) && matrix.length === 6) ctm = Util.transform(ctm, matrix) as number[];
    } else if (fn === OPS.paintFormXObjectEnd) ctm = stack.pop() ?? ctm;
    else if (fn === OPS.constructPath && args) {
      const [paint, data] = args as [number, [Float32Array | number[] | null]];
      const path = data?.[0];
      if (!painting.has(paint) || !path) continue;
      const toPage = Util.transform(viewportTransform, ctm) as number[];
      const point = (x: number, y: number): [number, number] => [toPage[0] * x + toPage[2] * y + toPage[4], toPage[1] * x + toPage[3] * y + toPage[5]];
      for (const polygon of subpaths(path)) {
        const points = polygon.map(([x, y]) => point(x, y));
        if (strokes.has(paint)) for (let k = 1; k < points.length; k++) addSegment(rules, points[k - 1], points[k]);
        else addThinRectangle(rules, points);
      }
    }
  }
  return rules.map((rule) => ({ ...rule, x0: rule.x0 / 72, y0: rule.y0 / 72, x1: rule.x1 / 72, y1: rule.y1 / 72 }));
}

/** The path's straight subpaths as point lists (closed ones end at their start); curves end a subpath. */
function subpaths(path: ArrayLike<number>): [number, number][][] {
  const result: [number, number][][] = [];
  let current: [number, number][] = [];
  const flush = () => {
    if (current.length > 1) result.push(current);
    current = [];
  };
  for (let i = 0; i < path.length; ) {
    switch (path[i++]) {
      case MOVE_TO:
        flush();
        current.push([path[i++], path[i++]]);
        break;
      case LINE_TO:
        current.push([path[i++], path[i++]]);
        break;
      case CURVE_TO:
        flush();
        i += 6;
        break;
      case QUADRATIC_CURVE_TO:
        flush();
        i += 4;
        break;
      case CLOSE_PATH:
        if (current.length > 1) current.push(current[0]);
        flush();
        break;
      default:
        return result;
    }
  }
  flush();
  return result;
}

function addSegment(rules: Rule[], [ax, ay]: [number, number], [bx, by]: [number, number]): void {
  if (Math.abs(ay - by) < 0.5 && Math.abs(ax - bx) >= SHORTEST) {
    const y = (ay + by) / 2;
    rules.push({ direction: "h", x0: Math.min(ax, bx), y0: y, x1: Math.max(ax, bx), y1: y });
  } else if (Math.abs(ax - bx) < 0.5 && Math.abs(ay - by) >= SHORTEST) {
    const x = (ax + bx) / 2;
    rules.push({ direction: "v", x0: x, y0: Math.min(ay, by), x1: x, y1: Math.max(ay, by) });
  }
}

/** A filled axis-aligned rectangle thin in one direction is a rule along the other. */
function addThinRectangle(rules: Rule[], points: [number, number][]): void {
  if (points.length < 4 || points.length > 5) return;
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  const [left, right, top, bottom] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  // Axis-aligned: every point sits on the bounding box's corners.
  const onCorners = points.every(([x, y]) => (Math.abs(x - left) < 0.5 || Math.abs(x - right) < 0.5) && (Math.abs(y - top) < 0.5 || Math.abs(y - bottom) < 0.5));
  if (!onCorners) return;
  const [width, height] = [right - left, bottom - top];
  if (height <= THIN && width >= SHORTEST) rules.push({ direction: "h", x0: left, y0: (top + bottom) / 2, x1: right, y1: (top + bottom) / 2 });
  else if (width <= THIN && height >= SHORTEST) rules.push({ direction: "v", x0: (left + right) / 2, y0: top, x1: (left + right) / 2, y1: bottom });
}
