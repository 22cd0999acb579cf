/**
 * The head every self-contained mtafleet page shares: no external assets, and a
 * Content-Security-Policy that forbids scripts as a second line of defence behind escaping.
 */
import { escapeHtml } from './text.js';

export function pageHead(title: string, css: string): string[] {
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${css}</style>`,
    '</head>',
  ];
}
