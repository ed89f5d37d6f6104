import { Button, Dialog } from '@strapi/design-system';
import type * as React from 'react';
import { useT } from '../utils/t';

/** The confirmation every delete in the plugin asks for: open while `target` is set. */
export function ConfirmDelete<T>({
  target,
  onClose,
  onConfirm,
  title,
  body,
}: {
  target: T | null;
  onClose: () => void;
  onConfirm: (target: T) => void;
  title: React.ReactNode;
  body: React.ReactNode;
}) {
  const t = useT();
  return (
    <Dialog.Root open={target !== null} onOpenChange={(open) => !open && onClose()}>
      <Dialog.Content>
        <Dialog.Header>{title}</Dialog.Header>
        <Dialog.Body>{body}</Dialog.Body>
        <Dialog.Footer>
          <Dialog.Cancel>
            <Button fullWidth variant="tertiary">
              {t('action.cancel', 'Cancel')}
            </Button>
          </Dialog.Cancel>
          <Dialog.Action>
            <Button fullWidth variant="danger-light" onClick={() => target !== null && onConfirm(target)}>
              {t('action.delete', 'Delete')}
            </Button>
          </Dialog.Action>
        </Dialog.Footer>
      </Dialog.Content>
    </Dialog.Root>
  );
}
