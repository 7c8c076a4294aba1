// The typical image side of the datasets a form trains on, for the input mode that suits
// them (lib/presets.ts): fetched again whenever the datasets change.
import { api } from './api';
import { typicalSide } from './presets';

/**
 * Follows the datasets `datasetIds` gives (call it while a component initialises: it
 * sets up an effect). `current` is null until their sizes arrive, or when they cannot.
 */
export function typicalSideOf(datasetIds: () => readonly number[]): {
  readonly current: number | null;
} {
  const key = $derived(
    datasetIds()
      .filter((id, i, all) => all.indexOf(id) === i)
      .sort((a, b) => a - b)
      .join(','),
  );
  let known = $state<{ key: string; side: number | null } | null>(null);
  $effect(() => {
    const wanted = key;
    if (!wanted) return;
    let current = true;
    const lists = wanted.split(',').map((id) => api.call('images.list', { datasetId: Number(id) }));
    Promise.all(lists).then(
      (images) => {
        if (current) known = { key: wanted, side: typicalSide(images.flat()) };
      },
      () => {
        // Without sizes there is no suggestion; the form works as before.
      },
    );
    return () => (current = false);
  });
  return {
    get current() {
      return known?.key === key ? known.side : null;
    },
  };
}
