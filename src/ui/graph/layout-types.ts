/** The shape every graph layout answers: node positions (top-left corners) and edge polylines. */
export const NODE_W = 180;
export const NODE_H = 44;

export interface Placed {
  key: string;
  x: number;
  y: number;
}

export interface Layout {
  nodes: Map<string, Placed>;
  edges: Array<{ from: string; to: string; points: Array<{ x: number; y: number }> }>;
  width: number;
  height: number;
}
