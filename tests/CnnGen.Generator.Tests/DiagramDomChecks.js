// Run in the page Chromium made of a diagram SVG (see DiagramDomTests): what a reader would see wrong in it,
// measured on the rendered DOM (getBBox is the laid-out text in the real font, not an estimate).
// Returns JSON: { root, parseErrors, height, boxes: [data-title...], problems: [text...] }.
() => {
  const svg = document.documentElement;
  const report = { root: svg.localName, parseErrors: document.getElementsByTagName('parsererror').length, height: 0, boxes: [], problems: [] };
  if (svg.localName !== 'svg') return JSON.stringify(report);
  const slack = 0.5;
  const view = svg.viewBox.baseVal;
  report.height = view.height;
  const picture = { x: view.x, y: view.y, width: view.width, height: view.height };
  const show = r => `${r.x.toFixed(1)},${r.y.toFixed(1)} ${r.width.toFixed(1)}x${r.height.toFixed(1)}`;
  const inside = (a, b) => a.x >= b.x - slack && a.y >= b.y - slack && a.x + a.width <= b.x + b.width + slack && a.y + a.height <= b.y + b.height + slack;
  const overlap = (a, b) => a.x < b.x + b.width - slack && b.x < a.x + a.width - slack && a.y < b.y + b.height - slack && b.y < a.y + a.height - slack;
  const near = (value, target) => Math.abs(value - target) <= 1;
  // On the outline of a rect: within it (give or take a pixel) and on one of its four sides.
  const onEdge = (p, r) => p.x >= r.x - 1 && p.x <= r.x + r.width + 1 && p.y >= r.y - 1 && p.y <= r.y + r.height + 1
    && (near(p.x, r.x) || near(p.x, r.x + r.width) || near(p.y, r.y) || near(p.y, r.y + r.height));
  const problem = text => report.problems.push(text);

  // Every text inside the rect of its own group (a box's frame, a branch, the badge), or inside the picture
  // for a group without one (the heading, an edge's shape, a skip's sign); no two texts of a group overlap.
  for (const group of svg.querySelectorAll('g')) {
    const frame = group.querySelector(':scope > rect');
    const bound = frame ? frame.getBBox() : picture;
    const texts = [...group.querySelectorAll(':scope > text')];
    const name = `${group.getAttribute('class')} "${group.closest('g.box')?.dataset.title ?? ''}"`;
    texts.forEach((text, i) => {
      const box = text.getBBox();
      if (!inside(box, bound)) problem(`"${text.textContent}" (${show(box)}) runs out of ${frame ? name : 'the picture'} (${show(bound)})`);
      for (const other of texts.slice(i + 1))
        if (overlap(box, other.getBBox())) problem(`"${text.textContent}" overlaps "${other.textContent}" in ${name}`);
      // A box's own texts stay clear of the parts drawn in it (the badge, the branches, the gate).
      for (const part of group.querySelectorAll(':scope > g > rect'))
        if (overlap(box, part.getBBox())) problem(`"${text.textContent}" runs into a ${part.parentElement.getAttribute('class')} of ${name}`);
    });
    for (const part of group.querySelectorAll(':scope > g > rect'))
      if (frame && !inside(part.getBBox(), bound)) problem(`a ${part.parentElement.getAttribute('class')} (${show(part.getBBox())}) runs out of ${name}`);
  }
  for (const shape of svg.querySelectorAll('rect, path, line'))
    if (!shape.closest('defs') && !inside(shape.getBBox(), picture)) problem(`a ${shape.localName} (${show(shape.getBBox())}) lies outside the picture`);

  // One box per block, each with its frame; the edges join each frame's bottom to the next one's top.
  const boxes = [...svg.querySelectorAll(':scope > g.box')];
  report.boxes = boxes.map(box => box.dataset.title);
  for (const box of boxes) if (!box.querySelector(':scope > rect.frame')) problem(`box "${box.dataset.title}" has no frame`);
  const frames = [...svg.querySelectorAll(':scope > g.terminal > rect.frame, :scope > g.box > rect.frame')].map(frame => frame.getBBox());
  const edges = [...svg.querySelectorAll(':scope > g.edge > line')];
  if (edges.length !== frames.length - 1) problem(`${edges.length} edges for ${frames.length} frames (input, boxes, output)`);
  edges.forEach((edge, i) => {
    const [from, to] = [frames[i], frames[i + 1]];
    if (!from || !to) return;
    const [x1, y1, x2, y2] = ['x1', 'y1', 'x2', 'y2'].map(name => edge[name].baseVal.value);
    if (!near(y1, from.y + from.height) || x1 < from.x || x1 > from.x + from.width) problem(`edge ${i} starts at ${x1},${y1}, not on the bottom of frame ${i} (${show(from)})`);
    if (!near(y2, to.y) || x2 < to.x || x2 > to.x + to.width) problem(`edge ${i} ends at ${x2},${y2}, not on the top of frame ${i + 1} (${show(to)})`);
  });

  // A skip (a residual's, a gate's) leaves its box's frame and comes back to the frame or to the box's gate.
  for (const skip of svg.querySelectorAll('g.skip > path')) {
    const box = skip.closest('g.box');
    const frame = box?.querySelector(':scope > rect.frame')?.getBBox();
    if (!frame) { problem('a skip outside any box'); continue; }
    const targets = [frame, ...[...box.querySelectorAll(':scope > g.gate > rect')].map(rect => rect.getBBox())];
    const [start, end] = [skip.getPointAtLength(0), skip.getPointAtLength(skip.getTotalLength())];
    if (!onEdge(start, frame)) problem(`a skip of "${box.dataset.title}" starts at ${start.x},${start.y}, off its frame (${show(frame)})`);
    if (!targets.some(target => onEdge(end, target))) problem(`a skip of "${box.dataset.title}" ends at ${end.x},${end.y}, on neither its frame nor its gate`);
  }
  return JSON.stringify(report);
}
