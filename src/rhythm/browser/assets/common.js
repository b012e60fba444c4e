// Rhythm browser: helpers every page uses. Plain JavaScript, no library, no network.
"use strict";

const Rhythm = {
  // An array packed by rhythm.browser.packing.pack: int16 little-endian in base64, -32768 = missing.
  unpack(packed) {
    const bin = atob(packed.b64);
    const out = new Float32Array(bin.length / 2);
    for (let i = 0; i < out.length; i++) {
      let v = bin.charCodeAt(2 * i) | (bin.charCodeAt(2 * i + 1) << 8);
      if (v >= 32768) v -= 65536;
      out[i] = v === -32768 ? NaN : v * packed.scale;
    }
    return { data: out, shape: packed.shape };
  },

  // Data files are scripts (browsers refuse fetch() of file:// URLs); each calls a global callback.
  loadScript(src) {
    return new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.onload = resolve;
      s.onerror = () => reject(new Error("cannot load " + src));
      document.head.appendChild(s);
    });
  },

  // The frame shown at time t: floor(t * fps), robust to t * fps landing just below an integer.
  frameAt(t, fps) {
    return Math.floor(t * fps + 1e-6);
  },

  param(name) {
    return new URLSearchParams(window.location.search).get(name);
  },

  escape(text) {
    return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  },

  el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === "text") e.textContent = v;
      else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children) if (c !== null && c !== undefined) e.append(c);
    return e;
  },

  fmt(value, digits) {
    if (value === null || value === undefined || Number.isNaN(value)) return "–";
    return typeof value === "number" ? value.toFixed(digits === undefined ? 2 : digits) : String(value);
  },

  showError(message) {
    const box = document.getElementById("error") || document.body;
    box.append(Rhythm.el("p", { class: "error", text: message }));
  },
};
