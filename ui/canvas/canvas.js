// The drawing canvas's browser side (ui/draw_canvas.py mounts it): the strokes live here;
// Python gets them on every pen-up, Undo, Redo and Clear.
const MIN_STEP = 1.5;  // px between kept points

function setUp(root, data) {
  const {size, pen, maxStrokes, maxPoints} = data;
  const canvas = root.querySelector('canvas');
  const dpr = window.devicePixelRatio || 1;
  canvas.width = Math.round(size * dpr);
  canvas.height = Math.round(size * dpr);
  canvas.style.width = canvas.style.height = size + 'px';
  const ctx = canvas.getContext('2d');
  ctx.scale(dpr, dpr);
  const state = {strokes: [], redo: [], current: null, pointer: null, send: null, points: 0};
  const counted = () => state.strokes.reduce((n, s) => n + s.length / 2, 0);
  const buttons = {};
  for (const act of ['undo', 'redo', 'clear']) {
    const b = document.createElement('button');
    b.type = 'button';
    b.dataset.act = act;
    root.querySelector('.tools').appendChild(b);
    buttons[act] = b;
  }
  const ink = () => {
    ctx.lineCap = 'round'; ctx.lineJoin = 'round'; ctx.lineWidth = pen;
    ctx.strokeStyle = '#ffffff'; ctx.fillStyle = '#ffffff';
  };
  const dot = (x, y) => { ctx.beginPath(); ctx.arc(x, y, pen / 2, 0, 2 * Math.PI); ctx.fill(); };
  const segment = (x0, y0, x1, y1) => { ctx.beginPath(); ctx.moveTo(x0, y0); ctx.lineTo(x1, y1); ctx.stroke(); };
  const redraw = () => {
    ctx.fillStyle = '#000000';
    ctx.fillRect(0, 0, size, size);
    ink();
    for (const s of state.strokes) {
      if (s.length === 2) { dot(s[0], s[1]); continue; }
      ctx.beginPath();
      ctx.moveTo(s[0], s[1]);
      for (let i = 2; i < s.length; i += 2) ctx.lineTo(s[i], s[i + 1]);
      ctx.stroke();
    }
  };
  const refresh = () => {
    buttons.undo.disabled = state.strokes.length === 0;
    buttons.redo.disabled = state.redo.length === 0;
    buttons.clear.disabled = state.strokes.length === 0;
  };
  const send = () => { refresh(); state.send('strokes', state.strokes); };
  const at = (event) => {
    const r = canvas.getBoundingClientRect();
    const x = Math.round(Math.min(Math.max((event.clientX - r.left) * size / r.width, 0), size));
    const y = Math.round(Math.min(Math.max((event.clientY - r.top) * size / r.height, 0), size));
    return [x, y];
  };
  // A finger's touch is moved to the nearest element that takes taps (Chromium's touch adjustment):
  // the canvas must be one too, or a stroke starting at its bottom edge lands on the Undo button.
  canvas.addEventListener('click', () => {});
  canvas.addEventListener('pointerdown', (event) => {
    if (state.pointer !== null || (event.pointerType === 'mouse' && event.button !== 0)) return;
    state.points = counted();  // the server's limits: the pen stops drawing beyond them
    if (state.strokes.length >= maxStrokes || state.points >= maxPoints) return;
    event.preventDefault();
    canvas.setPointerCapture(event.pointerId);
    state.pointer = event.pointerId;
    const [x, y] = at(event);
    state.current = [x, y];
    ink();
    dot(x, y);
  });
  canvas.addEventListener('pointermove', (event) => {
    if (event.pointerId !== state.pointer) return;
    const s = state.current;
    const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
    for (const e of (moves.length ? moves : [event])) {
      const [x, y] = at(e);
      const px = s[s.length - 2], py = s[s.length - 1];
      if (Math.hypot(x - px, y - py) < MIN_STEP || state.points + s.length / 2 >= maxPoints) continue;
      ink();
      segment(px, py, x, y);
      s.push(x, y);
    }
  });
  const penUp = (event) => {
    if (event.pointerId !== state.pointer) return;
    state.pointer = null;
    state.strokes.push(state.current);
    state.current = null;
    state.redo = [];
    send();
  };
  canvas.addEventListener('pointerup', penUp);
  canvas.addEventListener('pointercancel', penUp);
  canvas.addEventListener('lostpointercapture', penUp);
  buttons.undo.addEventListener('click', () => {
    if (!state.strokes.length) return;
    state.redo.push(state.strokes.pop()); redraw(); send();
  });
  buttons.redo.addEventListener('click', () => {
    if (!state.redo.length) return;
    state.strokes.push(state.redo.pop()); redraw(); send();
  });
  buttons.clear.addEventListener('click', () => {
    if (!state.strokes.length) return;
    state.strokes = []; state.redo = []; redraw(); send();
  });
  redraw();
  refresh();
  return {state, buttons, canvas};
}

export default function (component) {
  const {data, parentElement, setStateValue} = component;
  const root = parentElement.querySelector('.mnistlab-draw');
  if (!root) return;
  if (!root.__draw) root.__draw = setUp(root, data);  // later calls: same canvas, same strokes
  const {state, buttons, canvas} = root.__draw;
  state.send = setStateValue;
  canvas.setAttribute('aria-label', data.labels.canvas);
  for (const [act, b] of Object.entries(buttons)) b.textContent = data.labels[act];
}
