/** The rehearsal fleet: `mtafleet lab up | down | status | inventory`. */
export { labUp, type LabUpOptions } from './up.js';
export { labDown, type LabDownResult } from './down.js';
export { labStatus, renderStatusTable, type LabStatus, type LabHostStatus } from './status.js';
export { runInHost, hostEnv } from './hostexec.js';
export { defaultLabDir, labFiles, assetsDir, hostPath, HOST_MOUNT_DIR, LABS_ROOT } from './paths.js';
export { loadState, type LabState, type HostRecord } from './state.js';
