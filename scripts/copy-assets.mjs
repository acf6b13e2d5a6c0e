// Copy the browser builds of our front-end libraries from node_modules into gongzhi/static/vendor/,
// which is git-ignored: the files come from the npm registry at build time, never from a CDN at run time.
import { cpSync, mkdirSync, rmSync, existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const vendor = join(root, "gongzhi", "static", "vendor");
const files = {
  "htmx/htmx.min.js": "htmx.org/dist/htmx.min.js",
  "echarts/echarts.min.js": "echarts/dist/echarts.min.js",
  "leaflet/leaflet.js": "leaflet/dist/leaflet.js",
  // leaflet.js names its source map; the manifest storage refuses to hash a file whose references are missing.
  "leaflet/leaflet.js.map": "leaflet/dist/leaflet.js.map",
  "leaflet/leaflet.css": "leaflet/dist/leaflet.css",
  "leaflet/images/layers.png": "leaflet/dist/images/layers.png",
  "leaflet/images/layers-2x.png": "leaflet/dist/images/layers-2x.png",
  "leaflet/images/marker-icon.png": "leaflet/dist/images/marker-icon.png",
  "leaflet/images/marker-icon-2x.png": "leaflet/dist/images/marker-icon-2x.png",
  "leaflet/images/marker-shadow.png": "leaflet/dist/images/marker-shadow.png",
  // The market's check-in desk reads a resident's booking QR through the tablet's camera.
  "jsqr/jsQR.js": "jsqr/dist/jsQR.js",
};

rmSync(vendor, { recursive: true, force: true });
for (const [target, source] of Object.entries(files)) {
  const from = join(root, "node_modules", source);
  if (!existsSync(from)) {
    console.error(`missing ${from}: run npm ci first`);
    process.exit(1);
  }
  const to = join(vendor, target);
  mkdirSync(dirname(to), { recursive: true });
  cpSync(from, to);
}
console.log(`copied ${Object.keys(files).length} front-end files into gongzhi/static/vendor/`);
