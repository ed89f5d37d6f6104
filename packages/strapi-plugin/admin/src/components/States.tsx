import { Box, Button, EmptyStateLayout, Typography } from '@strapi/design-system';
import { ArrowClockwise, WarningCircle } from '@strapi/icons';
import type * as React from 'react';
import { useT } from '../utils/t';

/** An empty list, designed: what it holds and how to start. */
export function Empty({ content, action }: { content: string; action?: React.ReactNode }) {
  return (
    <Box background="neutral0" hasRadius shadow="tableShadow">
      <EmptyStateLayout content={content} action={action} />
    </Box>
  );
}

/** A failed load, with the server's code and message and a way to try again. */
export function LoadError({
  error,
  retry,
}: {
  error: { code: string | null; message: string };
  retry?: () => void;
}) {
  const t = useT();
  return (
    <Box background="danger100" borderColor="danger200" hasRadius padding={6}>
      <Typography variant="omega" textColor="danger700" tag="p" fontWeight="bold">
        <WarningCircle /> {t('error.load', 'This could not be loaded')}
        {error.code ? ` (${error.code})` : ''}
      </Typography>
      <Box paddingTop={2} paddingBottom={retry ? 4 : 0}>
        <Typography textColor="danger700">{error.message}</Typography>
      </Box>
      {retry && (
        <Button variant="danger-light" startIcon={<ArrowClockwise />} onClick={retry}>
          {t('action.retry', 'Try again')}
        </Button>
      )}
    </Box>
  );
}
