import { Button, Flex, Typography } from '@strapi/design-system';
import { ChevronLeft, ChevronRight } from '@strapi/icons';
import { useT } from '../utils/t';

/** Previous / next over a paged list, with where we are. */
export function Pager({
  page,
  pageCount,
  total,
  onPage,
}: {
  page: number;
  pageCount: number;
  total: number;
  onPage: (page: number) => void;
}) {
  const t = useT();
  if (pageCount <= 1) return null;
  return (
    <Flex justifyContent="space-between" paddingTop={4}>
      <Typography variant="pi" textColor="neutral600">
        {t('pager.position', 'Page {page} of {pageCount} · {total} in all', { page, pageCount, total })}
      </Typography>
      <Flex gap={2}>
        <Button
          variant="tertiary"
          startIcon={<ChevronLeft />}
          disabled={page <= 1}
          onClick={() => onPage(page - 1)}
        >
          {t('pager.previous', 'Previous')}
        </Button>
        <Button
          variant="tertiary"
          endIcon={<ChevronRight />}
          disabled={page >= pageCount}
          onClick={() => onPage(page + 1)}
        >
          {t('pager.next', 'Next')}
        </Button>
      </Flex>
    </Flex>
  );
}
