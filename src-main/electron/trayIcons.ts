/**
 * Tray icons (32×32 PNG discs, drawn by a script, so the tray works without packaged icon files):
 * grey when no tunnel runs, green when all run well, red when one is failing.
 */
import type { TrayHealth } from './tray.ts';

/** PNG data URLs by health. */
export const trayIconDataUrls: Record<TrayHealth, string> = {
  idle: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAsElEQVR42u2XzQ2AIAxGmaabsURnYAymYCCmIMGa1MR4MAVpWo2HdyHC95S/GlJKwZLwC7xNAAgkClGJxlRuQ35mucA+aCa6kCwVkYRHfss+SOO+jwRwIvgKzgrEBeEHcVQAJj/73XTAiEBeGH5emCIBUAg/AIkAKgqgRKAoChSJQFUUqBKBpijQXiFgPgXmi9B8G5ofROZHsYvLyPw6dlGQuCjJXBSlLsry/8/ouwIbGo5UATLBF2cAAAAASUVORK5CYII=',
  running: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAs0lEQVR42u2XzQ2AIAxGmcVD53EJlug0HpiCgZiCRGtSE+PBFKRpNR7ehQjfU/5qmJY5WBJ+gbcJAIFEJgpRmcJtyM8MF9gHTcQqJElFJOGR33JtpHLfRwLYEXwFewXigPCD2CoAnZ/9bjqgRSANDD8vTJEAKIQfgEQAFQVQIpAVBbJEoCgKFIlAVRSorxAwnwLzRWi+Dc0PIvOj2MVlZH4duyhIXJRkLopSF2X5/2f0XYENqnYL4/e/3kQAAAAASUVORK5CYII=',
  failing: 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAACAAAAAgCAYAAABzenr0AAAAs0lEQVR42u2XzQ2AIAxGmabx7E4s0XmYgjEcgilItCY1MR5MQZpW4+FdiPA95a+GZZ6CJeEXeJsAEEhkohCVKdyG/MxwgX3QRKxCklREEh75LddGKvd9JIAdwVewVyAOCD+IrQLQ+dnvpgNaBNLA8PPCFAmAQvgBSARQUQAlAllRIEsEiqJAkQhURYH6CgHzKTBfhObb0PwgMj+KXVxG5texi4LERUnmoih1UZb/f0bfFdgA78xz4xsJv3QAAAAASUVORK5CYII=',
};
